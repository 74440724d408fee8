import { Controller } from "@nestjs/common";
import { Ctx, MessagePattern, Payload } from "@nestjs/microservices";
import {
  CredentialEnroll,
  CredentialIssue,
  CredentialList,
  CredentialRevoke,
  FleetQuarantine,
  type PayloadOf,
  type ReplyOf,
} from "#contracts";
import type { ContractContext } from "#transport";
import { CredentialAuthorityService } from "./credential-authority.service.js";

/**
 * What the credential authority serves (NATS permissions let only the control plane send these;
 * verifiers a quarantine; enrollment identities an enrollment).
 */
export const CREDENTIAL_CONTRACTS = [
  CredentialIssue,
  CredentialList,
  CredentialRevoke,
  FleetQuarantine,
  CredentialEnroll,
];

@Controller()
export class CredentialsController {
  constructor(private readonly authority: CredentialAuthorityService) {}

  @MessagePattern(CredentialIssue.subject)
  issue(@Payload() request: PayloadOf<typeof CredentialIssue>): Promise<ReplyOf<typeof CredentialIssue>> {
    return this.authority.issue(request);
  }

  @MessagePattern(CredentialList.subject)
  list(): ReplyOf<typeof CredentialList> {
    return { credentials: this.authority.list() };
  }

  @MessagePattern(CredentialRevoke.subject)
  revoke(@Payload() request: PayloadOf<typeof CredentialRevoke>): Promise<ReplyOf<typeof CredentialRevoke>> {
    return this.authority.revoke(request);
  }

  /** A worker pod enrolling at start, through its enrollment identity (the sender, `{from}`). */
  @MessagePattern(CredentialEnroll.subject)
  enroll(
    @Payload() request: PayloadOf<typeof CredentialEnroll>,
    @Ctx() context: ContractContext,
  ): Promise<ReplyOf<typeof CredentialEnroll>> {
    return this.authority.enroll(request, context.getSender());
  }

  @MessagePattern(FleetQuarantine.subject)
  quarantine(
    @Payload() request: PayloadOf<typeof FleetQuarantine>,
    @Ctx() context: ContractContext,
  ): Promise<ReplyOf<typeof FleetQuarantine>> {
    return this.authority.quarantine(request.workerId, request.reason, context.getSender() ?? "unknown");
  }
}
