/**
 * npm run docs:permissions — writes docs/security.md's permission tables from libs/security's
 * ROUTES and permissionsFor() (libs/security/test/permissions-doc checks they agree).
 */
import { SECURITY_DOC, writePermissionsDoc } from "../support/permissions-doc.js";

const changed = writePermissionsDoc();
process.stderr.write(`docs:permissions: ${SECURITY_DOC} ${changed ? "updated" : "already up to date"}\n`);
