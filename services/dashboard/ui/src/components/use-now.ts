import { useEffect, useState } from "react";

/** The server's clock now (local clock plus the feed's offset), ticking every `everyMs`. */
export function useNow(clockOffsetMs: number, everyMs = 1000): number {
  const [local, setLocal] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setLocal(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return local + clockOffsetMs;
}
