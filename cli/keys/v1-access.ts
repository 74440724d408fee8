/**
 * Whether the gateway's /v1 is open or needs an API key, as a client without a key finds it
 * (the fleet's start banner says so).
 */
export async function v1AccessLine(gatewayUrl: string): Promise<string> {
  const status = await fetch(`${gatewayUrl}/v1/models`).then(
    (response) => response.status,
    () => null,
  );
  if (status === 401)
    return "  access   /v1 needs an API key (Authorization: Bearer <key>); manage them with `specfleet keys`";
  if (status === null) return "  access   unknown (the gateway did not answer /v1/models)";
  return "  access   /v1 is open: no API keys configured (`specfleet keys create <name>` requires keys from then on)";
}
