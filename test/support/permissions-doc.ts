import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "#infra";
import { FLEET_ROLES, permissionsFor, ROUTES, type FleetRole, type SubjectPermissions } from "#security";

/**
 * docs/security.md's permission tables, generated from libs/security's ROUTES and
 * permissionsFor() (`npm run docs:permissions` writes them; libs/security/test/permissions-doc
 * checks the document against the code both ways).
 */
export const SECURITY_DOC = join(projectRoot(), "docs", "security.md");
const START = "<!-- permissions:start (npm run docs:permissions writes this part) -->";
const END = "<!-- permissions:end -->";

/** The identity a role's row is shown for: a control-plane role's identity is its name; a worker's is its id. */
export function exampleIdentity(role: FleetRole): string {
  if (role === "enroller") return "enroll-<role>";
  return role === "verifier" || role === "drafter" ? "<id>" : role;
}

/** Both tables, in Markdown: who sends and receives each contract, and each role's NATS permissions. */
export function permissionsMarkdown(): string {
  const routes = [
    "| subject | kind | sent by | received by |",
    "|---|---|---|---|",
    ...ROUTES.map(
      (r) =>
        `| ${code(r.contract.subject)} | ${r.contract.kind} | ${r.send.join(", ") || "(nobody yet)"} | ${r.receive.join(", ")} |`,
    ),
  ];
  const roles = [
    "| role | identity | may publish | may subscribe to | answers requests |",
    "|---|---|---|---|---|",
    ...FLEET_ROLES.map((role) => {
      const p = permissionsFor(role, exampleIdentity(role));
      return `| ${role} | ${code(exampleIdentity(role))} | ${p.pub.allow.map(code).join("<br>")} | ${p.sub.allow.map(code).join("<br>")} | ${p.respond ? "yes" : "no"} |`;
    }),
  ];
  return [
    START,
    "",
    "Who sends and who receives each contract (`{id}`: the worker or session the subject names;",
    "`{from}`: the sender's own identity, filled by the bus and enforced by the permissions):",
    "",
    ...routes,
    "",
    "What each identity's NATS user may do (`<id>` stands for the worker's own id; `*` one token,",
    "`>` the rest of the subject):",
    "",
    ...roles,
    "",
    END,
  ].join("\n");
}

/** Rewrites the generated part of docs/security.md; true when it changed. */
export function writePermissionsDoc(): boolean {
  const doc = readFileSync(SECURITY_DOC, "utf8");
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${SECURITY_DOC}: no '${START}' … '${END}' part to write`);
  const next = doc.slice(0, start) + permissionsMarkdown() + doc.slice(end + END.length);
  if (next !== doc) writeFileSync(SECURITY_DOC, next);
  return next !== doc;
}

/** The per-role permissions the document states, read back from its table. */
export function documentedPermissions(markdown: string): Map<FleetRole, { identity: string } & SubjectPermissions> {
  const rows = new Map<FleetRole, { identity: string } & SubjectPermissions>();
  for (const line of section(markdown).split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells.length !== 7 || !(FLEET_ROLES as readonly string[]).includes(cells[1]!)) continue;
    const subjects = (cell: string) => cell.split("<br>").map(uncode);
    rows.set(cells[1] as FleetRole, {
      identity: uncode(cells[2]!),
      pub: { allow: subjects(cells[3]!) },
      sub: { allow: subjects(cells[4]!) },
      respond: cells[5] === "yes",
    });
  }
  return rows;
}

/** The routes the document states: subject → kind, senders, receivers. */
export function documentedRoutes(markdown: string): Map<string, { kind: string; send: string[]; receive: string[] }> {
  const routes = new Map<string, { kind: string; send: string[]; receive: string[] }>();
  for (const line of section(markdown).split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells.length !== 6 || !cells[1]!.startsWith("`")) continue;
    const roles = (cell: string) => (cell === "(nobody yet)" ? [] : cell.split(",").map((r) => r.trim()));
    routes.set(uncode(cells[1]!), { kind: cells[2]!, send: roles(cells[3]!), receive: roles(cells[4]!) });
  }
  return routes;
}

function section(markdown: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error("docs/security.md has no generated permissions part");
  return markdown.slice(start, end);
}

function code(text: string): string {
  return `\`${text}\``;
}

function uncode(text: string): string {
  return text.replace(/^`|`$/g, "");
}
