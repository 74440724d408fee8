import type { RemoteError } from "#contracts";
import { HttpApiError } from "#http";
import { NoResponderError, PeerError, RequestTimeoutError } from "#transport";
import { fromFleetError } from "../../http/openai-error.js";

/** The registry did not answer (not running, or busy): worth retrying. */
export function registryUnavailable(): HttpApiError {
  return new HttpApiError(
    503,
    "the registry (the fleet's credential authority) is not answering; try again shortly",
    "service_unavailable",
    "registry_unavailable",
    null,
    1,
  );
}

/** A failed request to the credential authority, as the operator's HTTP error. */
export function fromAuthorityFailure(error: unknown): HttpApiError {
  if (error instanceof NoResponderError || error instanceof RequestTimeoutError) return registryUnavailable();
  if (error instanceof PeerError) return fromFleetError(error.code, error.message);
  return new HttpApiError(500, "the credential request failed", "server_error", "internal_error");
}

/** The authority's refusal (`ok: false`) of a request about `deviceId`. */
export function fromAuthorityRefusal(error: RemoteError): HttpApiError {
  switch (error.code) {
    case "not_found":
      return new HttpApiError(404, error.message, "invalid_request_error", "device_not_found", "device_id");
    case "not_configured":
      return new HttpApiError(501, error.message, "server_error", "no_credential_authority");
    case "bad_request":
      return HttpApiError.invalid(error.message, "device_id");
    default:
      return fromFleetError(error.code, error.message);
  }
}
