import { useState, type FormEvent } from "react";
import { login } from "./api.js";

/** Asks for the admin (or viewer) token once; the server keeps the login in a cookie, never in the URL. */
export function LoginForm({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await login(token);
      if (result.ok) onLoggedIn();
      else setError(result.message);
    } catch (e) {
      setError(`The dashboard cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)}>
        <h1>SpecFleet dashboard</h1>
        <p className="muted">This fleet's dashboard needs its admin or viewer token.</p>
        <label>
          Token
          <input
            type="password"
            autoComplete="current-password"
            autoFocus
            data-testid="login-token"
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        {error && (
          <div className="notice bad" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" data-testid="login-submit" disabled={busy || token.length === 0}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
