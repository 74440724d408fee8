import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
  type KeyPair,
} from "@nats-io/jwt";
import { inboxPrefixOf, permissionsFor, type FleetRole } from "./permissions.js";

/**
 * The keys behind a fleet's NATS (operator mode, docs/security.md): the operator, the system
 * account (the server's own, used to push account updates), and the fleet's account whose
 * signing key signs every user. Whoever holds them is the credential authority: the registry at
 * run time, the local fleet's launcher when it sets a fleet up. Kept as a JSON file of seeds
 * (`NATS_AUTHORITY_FILE`), never logged.
 */
export interface AuthoritySeeds {
  operator: string;
  systemAccount: string;
  account: string;
  accountSigning: string;
}

/** No limits within the fleet's account; JetStream stays off (the design keeps no NATS streams). */
const UNLIMITED = { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, leaf: -1 };
const OPERATOR_NAME = "SpecFleet";
const ACCOUNT_NAME = "SPECFLEET";

/** A signed user: its JWT (no secret by itself) and public key. */
export interface SignedUser {
  jwt: string;
  publicKey: string;
  issuedAt: number;
  expiresAt: number | null;
}

/** A user credential: also the `.creds` file's content (secret: JWT and seed). */
export interface IssuedUser extends SignedUser {
  creds: string;
}

/** What a nats-server is configured with: the operator and the two accounts it trusts. */
export interface ServerAccounts {
  operatorJwt: string;
  system: { publicKey: string; jwt: string };
  fleet: { publicKey: string; jwt: string };
}

/** Revoked user public keys, each with the time (unix seconds) before which its JWTs are void. */
export type Revocations = Record<string, number>;

export class NatsAuthority {
  private constructor(private readonly seeds: AuthoritySeeds) {}

  static generate(): NatsAuthority {
    const seed = (key: KeyPair) => new TextDecoder().decode(key.getSeed());
    return new NatsAuthority({
      operator: seed(createOperator()),
      systemAccount: seed(createAccount()),
      account: seed(createAccount()),
      accountSigning: seed(createAccount()),
    });
  }

  static fromJson(text: string): NatsAuthority {
    const parsed = JSON.parse(text) as Partial<AuthoritySeeds>;
    for (const field of ["operator", "systemAccount", "account", "accountSigning"] as const)
      if (typeof parsed[field] !== "string" || parsed[field].length === 0)
        throw new Error(`the authority file has no '${field}' seed`);
    return new NatsAuthority(parsed as AuthoritySeeds);
  }

  toJson(): string {
    return `${JSON.stringify(this.seeds, null, 2)}\n`;
  }

  get accountPublicKey(): string {
    return this.key("account").getPublicKey();
  }

  get systemAccountPublicKey(): string {
    return this.key("systemAccount").getPublicKey();
  }

  operatorJwt(): Promise<string> {
    return encodeOperator(OPERATOR_NAME, this.key("operator"), {
      system_account: this.systemAccountPublicKey,
    });
  }

  systemAccountJwt(): Promise<string> {
    return encodeAccount("SYS", this.key("systemAccount"), { limits: UNLIMITED }, { signer: this.key("operator") });
  }

  async serverAccounts(revocations: Revocations = {}): Promise<ServerAccounts> {
    return {
      operatorJwt: await this.operatorJwt(),
      system: { publicKey: this.systemAccountPublicKey, jwt: await this.systemAccountJwt() },
      fleet: { publicKey: this.accountPublicKey, jwt: await this.accountJwt(revocations) },
    };
  }

  /** The fleet's account, with every revocation so far: pushing it cuts the revoked users off. */
  accountJwt(revocations: Revocations = {}): Promise<string> {
    return encodeAccount(
      ACCOUNT_NAME,
      this.key("account"),
      {
        limits: UNLIMITED,
        signing_keys: [this.key("accountSigning").getPublicKey()],
        ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
      },
      { signer: this.key("operator") },
    );
  }

  /** A credential for `identity` acting as `role`, with that role's permissions (libs/security permissions.ts). */
  async issue(identity: string, role: FleetRole, expiresInS?: number): Promise<IssuedUser> {
    const user = createUser();
    const signed = await this.signUser(identity, role, user, expiresInS);
    return { ...signed, creds: new TextDecoder().decode(fmtCreds(signed.jwt, user)) };
  }

  /**
   * The same for a key pair the requester made itself (enrollment): only its public key comes
   * here, and only the user JWT goes back, which is no secret without the seed.
   */
  issueFor(identity: string, role: FleetRole, userPublicKey: string, expiresInS?: number): Promise<SignedUser> {
    return this.signUser(identity, role, userPublicKey, expiresInS);
  }

  private async signUser(
    identity: string,
    role: FleetRole,
    user: KeyPair | string,
    expiresInS: number | undefined,
  ): Promise<SignedUser> {
    const permissions = permissionsFor(role, identity);
    const now = Math.floor(Date.now() / 1000);
    const exp = expiresInS === undefined ? undefined : now + expiresInS;
    const jwt = await encodeUser(
      identity,
      user,
      this.key("accountSigning"),
      {
        issuer_account: this.accountPublicKey,
        pub: permissions.pub,
        sub: permissions.sub,
        ...(permissions.respond ? { resp: { max: 1, ttl: 0 } } : {}),
        tags: [`role:${role}`, `inbox:${inboxPrefixOf(identity)}`],
      },
      exp === undefined ? {} : { exp },
    );
    return {
      jwt,
      publicKey: typeof user === "string" ? user : user.getPublicKey(),
      issuedAt: now * 1000,
      expiresAt: exp === undefined ? null : exp * 1000,
    };
  }

  /** A user of the system account: it may push account updates (`$SYS.REQ.CLAIMS.UPDATE`). */
  async systemUserCreds(): Promise<string> {
    const user = createUser();
    const jwt = await encodeUser("specfleet-authority", user, this.key("systemAccount"), {
      pub: { allow: ["$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE"] },
      sub: { allow: ["_INBOX.>"] },
    });
    return new TextDecoder().decode(fmtCreds(jwt, user));
  }

  private key(which: keyof AuthoritySeeds): KeyPair {
    return fromSeed(new TextEncoder().encode(this.seeds[which]));
  }
}
