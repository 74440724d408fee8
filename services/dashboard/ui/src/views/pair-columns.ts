import type { Column } from "../components/virtual-table.js";
import type { DashboardPair } from "../feed/contracts.js";

/** The columns that name a pair (drafter, verifier, its sessions): first in every table of pairs. */
export const PAIR_ID_COLUMNS: Column<DashboardPair>[] = [
  {
    id: "drafter",
    header: "Drafter",
    width: "minmax(120px, 1fr)",
    cell: (p) => p.drafterId,
    sortValue: (p) => p.drafterId,
  },
  {
    id: "verifier",
    header: "Verifier",
    width: "minmax(120px, 1fr)",
    cell: (p) => p.verifierId,
    sortValue: (p) => p.verifierId,
  },
  {
    id: "sessions",
    header: "Sessions",
    width: "78px",
    align: "right",
    cell: (p) => p.sessions,
    sortValue: (p) => p.sessions,
  },
];
