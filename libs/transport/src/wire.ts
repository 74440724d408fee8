import { headers as natsHeaders, type Msg, type MsgHdrs } from "nats";
import { errorCodeSchema, senderOf, WIRE_VERSION, type AnyContract, type RemoteError } from "#contracts";

/**
 * SpecFleet's wire format, version WIRE_VERSION: a message's body is its contract payload as
 * JSON; what the transport itself has to say travels in these NATS headers. A change to them
 * bumps WIRE_VERSION (declared in libs/contracts, since workers pair on it: protocol.ts), and a
 * peer speaking another version is refused by name.
 */
export { WIRE_VERSION };
/** On every message SpecFleet sends: the version of this header format. */
export const WIRE_HEADER = "SpecFleet-Wire";
/** On requests and events: the version of the contract the payload was written against. */
export const CONTRACT_VERSION_HEADER = "SpecFleet-Contract-Version";
/** On an error reply (empty body): one of the error codes of `errorCodeSchema`. */
export const ERROR_CODE_HEADER = "SpecFleet-Error-Code";
/** On an error reply: what went wrong, one line of at most MAX_ERROR_MESSAGE characters. */
export const ERROR_HEADER = "SpecFleet-Error";

const MAX_ERROR_MESSAGE = 1000;

/** The headers of a request or an event written against `contract`. */
export function messageHeaders(contract: AnyContract): MsgHdrs {
  const h = natsHeaders();
  h.set(WIRE_HEADER, String(WIRE_VERSION));
  h.set(CONTRACT_VERSION_HEADER, String(contract.version));
  return h;
}

/** The headers of an error reply. */
export function errorHeaders(error: RemoteError): MsgHdrs {
  const h = natsHeaders();
  h.set(WIRE_HEADER, String(WIRE_VERSION));
  h.set(ERROR_CODE_HEADER, error.code);
  h.set(ERROR_HEADER, error.message.replace(/[\r\n]+/g, " ").slice(0, MAX_ERROR_MESSAGE));
  return h;
}

/**
 * Why a message must be refused before its payload is even read, or null: a peer speaking
 * another wire format or built against another version of the contract. Messages without
 * these headers (the `nats` CLI, a hand-written probe) are judged by their payload alone.
 */
export function refusalOf(contract: AnyContract, msg: Msg): string | null {
  const wire = msg.headers?.get(WIRE_HEADER);
  if (wire && wire !== String(WIRE_VERSION))
    return `wire format mismatch: the sender speaks v${wire}, this actor v${WIRE_VERSION}; upgrade one side`;
  const sent = contractVersionOf(contract, msg);
  if (sent === null) return null;
  const sender = senderOf(contract, msg.subject);
  const older = Number(sent) < contract.version;
  const newer = Number(sent) > contract.version;
  const upgrade = older
    ? `upgrade ${sender ? `'${sender}'` : "the sender"}`
    : newer
      ? "upgrade this actor"
      : "upgrade one side";
  return (
    `contract version mismatch: the sender speaks v${sent}, this actor v${contract.version} ` +
    `(${contract.subject}${sender ? `, sent by '${sender}'` : ""}); ${upgrade}`
  );
}

/**
 * The contract version a message was written against when it is not this actor's, else null;
 * cut short, since a sender's header goes into this actor's logs and replies.
 */
export function contractVersionOf(contract: AnyContract, msg: Msg): string | null {
  const sent = msg.headers?.get(CONTRACT_VERSION_HEADER);
  return sent && sent !== String(contract.version) ? sent.slice(0, MAX_VERSION_CHARS) : null;
}

const MAX_VERSION_CHARS = 12;

/**
 * The error a reply carries, or null when it is a normal reply. A reply with a message and no
 * code comes from a peer older than wire v1, which answered every failure as a bad request; a
 * code this side does not know is an internal error that names it.
 */
export function remoteErrorOf(msg: Msg): RemoteError | null {
  const message = msg.headers?.get(ERROR_HEADER) ?? "";
  const code = msg.headers?.get(ERROR_CODE_HEADER) ?? "";
  if (!message && !code) return null;
  if (!code) return { code: "bad_request", message };
  const known = errorCodeSchema.safeParse(code);
  if (known.success) return { code: known.data, message };
  return { code: "internal", message: `unknown error code '${code}': ${message}` };
}
