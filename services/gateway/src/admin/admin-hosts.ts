import { hostname, networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import type { GatewayConfig } from "#config";
import { HostAllowList } from "#http";

/** Bind addresses that listen on every interface of the machine. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * The `Host` names the admin API answers to: loopback names, the address the gateway is bound
 * to (every address and the name of the machine when bound to 0.0.0.0 or ::), and
 * GATEWAY_ALLOWED_HOSTS. A web page that rebinds its own name to the gateway's address (DNS
 * rebinding) still sends its own name, so it is refused.
 */
export function adminHostAllowList(
  config: Pick<GatewayConfig, "GATEWAY_HOST" | "GATEWAY_ALLOWED_HOSTS">,
  machine: { interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>; name: () => string } = {
    interfaces: networkInterfaces,
    name: hostname,
  },
): HostAllowList {
  const bound = config.GATEWAY_HOST.trim();
  const own = WILDCARD_HOSTS.has(bound)
    ? [
        machine.name(),
        ...Object.values(machine.interfaces())
          .flatMap((list) => list ?? [])
          .map((address) => address.address),
      ]
    : [bound];
  return new HostAllowList([...own, ...config.GATEWAY_ALLOWED_HOSTS]);
}
