import { z } from "zod";
import { deviceRoleSchema, workerIdSchema } from "#contracts";

/** At most ten years, as the credential authority takes it (CredentialIssue). */
const MAX_EXPIRY_S = 10 * 365 * 24 * 3600;

/** `POST /admin/credentials`: a NATS credential for one device. */
export const issueCredentialBodySchema = z
  .object({
    device_id: workerIdSchema.meta({
      description: "The device's worker id: the id it registers with, and nothing else.",
    }),
    role: deviceRoleSchema.meta({ description: "What the device may do on the fleet's NATS." }),
    expires_in_s: z
      .number()
      .int()
      .positive()
      .max(MAX_EXPIRY_S)
      .optional()
      .meta({ description: "Seconds until the credential stops working by itself; absent: until revoked." }),
    note: z
      .string()
      .max(200)
      .optional()
      .meta({ description: "The operator's note (where the device is, who runs it)." }),
  })
  .strict();
export type IssueCredentialBody = z.infer<typeof issueCredentialBodySchema>;

/** `DELETE /admin/credentials/{device_id}`: the reason, in the JSON body or the query. */
export const revokeCredentialBodySchema = z
  .object({ reason: z.string().min(1).max(500).optional().meta({ description: "Why (kept in the list)." }) })
  .strict();

/** Where the device stands in the fleet now (the registry's snapshot); null: not registered. */
export const deviceStandingSchema = z
  .object({
    state: z.string().meta({ description: "The registry's view: healthy, degraded, draining, lost …" }),
    draining: z.boolean(),
    last_seen_at: z.number().meta({ description: "Unix ms of its last heartbeat." }),
  })
  .nullable();

/** One credential as the admin API shows it: its public part only. */
export const credentialViewSchema = z.object({
  object: z.literal("device_credential"),
  device_id: z.string(),
  role: deviceRoleSchema,
  public_key: z.string().meta({ description: "The NATS user's public nkey (U…): what nats-server's log names." }),
  status: z.enum(["active", "expired", "revoked"]),
  issued_at: z.number().meta({ description: "Unix seconds." }),
  expires_at: z.number().nullable().meta({ description: "Unix seconds; null: until revoked." }),
  revoked_at: z.number().nullable().meta({ description: "Unix seconds; null: not revoked." }),
  revoked_reason: z.string().nullable(),
  note: z.string().nullable(),
});
export type CredentialView = z.infer<typeof credentialViewSchema>;

export const issuedCredentialSchema = credentialViewSchema.extend({
  creds: z.string().meta({
    description:
      "The device's NATS `.creds` file (its user JWT and nkey seed): shown in this answer only, never stored by the fleet. Give it to the device as NATS_CREDS.",
  }),
});

export const listedCredentialSchema = credentialViewSchema.extend({ device: deviceStandingSchema });

export const credentialListSchema = z.object({ object: z.literal("list"), data: z.array(listedCredentialSchema) });
