import type { AnyContract } from "#contracts";
import { ROUTES, type FleetRole } from "./permissions.js";

type Route = (typeof ROUTES)[number];

/**
 * The contracts a drafter and a verifier exchange directly, as the route table says: those one of
 * the two roles sends and the other receives. libs/contracts declares the same list as
 * PEER_CONTRACTS (its protocol digest is made of them; contracts cannot import this lib), and a
 * test keeps the two equal.
 */
export function peerContractsOf(routes: readonly Route[] = ROUTES): AnyContract[] {
  const from = (sender: FleetRole, receiver: FleetRole) => (route: Route) =>
    route.send.includes(sender) && route.receive.includes(receiver);
  return routes
    .filter((route) => from("drafter", "verifier")(route) || from("verifier", "drafter")(route))
    .map((route) => route.contract);
}
