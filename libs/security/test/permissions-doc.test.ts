import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { FLEET_ROLES, permissionsFor, ROUTES } from "#security";
import {
  documentedPermissions,
  documentedRoutes,
  exampleIdentity,
  permissionsMarkdown,
  SECURITY_DOC,
} from "../../../test/support/permissions-doc.js";

/** docs/security.md states the permissions the code grants, no more and no fewer (npm run docs:permissions). */
void describe("docs/security.md's permission tables", () => {
  const doc = readFileSync(SECURITY_DOC, "utf8");
  const fix = "run `npm run docs:permissions` and commit docs/security.md";

  void it("state every role's NATS permissions exactly as permissionsFor() grants them", () => {
    const documented = documentedPermissions(doc);
    assert.deepEqual([...documented.keys()].sort(), [...FLEET_ROLES].sort(), `a role missing or extra: ${fix}`);
    for (const role of FLEET_ROLES) {
      const { identity, ...stated } = documented.get(role)!;
      assert.equal(identity, exampleIdentity(role));
      assert.deepEqual(stated, permissionsFor(role, identity), `${role}'s permissions differ: ${fix}`);
    }
  });

  void it("state who sends and who receives every contract, as ROUTES says", () => {
    const documented = documentedRoutes(doc);
    assert.equal(documented.size, ROUTES.length, `a contract missing or extra: ${fix}`);
    for (const route of ROUTES) {
      assert.deepEqual(
        documented.get(route.contract.subject),
        { kind: route.contract.kind, send: route.send, receive: route.receive },
        `${route.contract.subject}: ${fix}`,
      );
    }
  });

  void it("are what the generator writes, so a hand edit is caught", () => {
    assert.ok(doc.includes(permissionsMarkdown()), fix);
  });

  void it("would catch a permission the code does not grant (the reader is not blind)", () => {
    const forged = doc.replace(/(\| drafter \| `<id>` \| )/, "$1`>`<br>");
    assert.notEqual(forged, doc);
    const { identity, ...stated } = documentedPermissions(forged).get("drafter")!;
    assert.ok(stated.pub.allow.includes(">"));
    assert.notDeepEqual(stated, permissionsFor("drafter", identity));
  });
});
