import { useMemo, useState } from "react";
import { setDraining, type DrainAction } from "../api.js";
import { StateBadge } from "../components/badge.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { age, bytes, fixed, ms, percent } from "../components/format.js";
import type { Column } from "../components/virtual-table.js";
import { VirtualTable } from "../components/virtual-table.js";
import type { DashboardDevice, DashboardRole } from "../feed/contracts.js";
import { FleetFilters } from "./fleet-filters.js";
import { filterDevices, NO_FILTER, profileSortValue, profileText, type FleetFilter } from "./device-filter.js";

interface Props {
  devices: DashboardDevice[];
  role: DashboardRole;
  now: number;
}

interface PendingAction {
  device: DashboardDevice;
  action: DrainAction;
}

/** Every device of the fleet: filter, search, sort, drain and undrain. */
export function FleetView({ devices, role, now }: Props) {
  const [filter, setFilter] = useState<FleetFilter>(NO_FILTER);
  const [asking, setAsking] = useState<PendingAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = useMemo(() => filterDevices(devices, filter), [devices, filter]);
  const models = useMemo(() => [...new Set(devices.map((d) => d.model))].sort(), [devices]);

  const confirm = async (pending: PendingAction) => {
    setAsking(null);
    setError(null);
    const failure = await setDraining(pending.device.id, pending.action);
    if (failure) setError(`${pending.action} ${pending.device.id}: ${failure}`);
  };

  const columns = useMemo(
    () => deviceColumns(now, role === "admin" ? (device, action) => setAsking({ device, action }) : null),
    [now, role],
  );

  return (
    <section className="view fill">
      <FleetFilters filter={filter} onChange={setFilter} models={models} shown={shown.length} total={devices.length} />
      {error && (
        <div className="notice bad" role="alert">
          {error}
          <button type="button" className="link" onClick={() => setError(null)}>
            dismiss
          </button>
        </div>
      )}
      <VirtualTable
        label="Devices"
        rows={shown}
        columns={columns}
        rowKey={(d) => d.id}
        rowTestId={(d) => `device-row-${d.id}`}
        height="calc(100vh - 160px)"
        empty={devices.length ? "No device matches the filter." : "No device has registered yet."}
        initialSort={{ column: "id", descending: false }}
      />
      {asking && (
        <ConfirmDialog
          title={asking.action === "drain" ? `Drain ${asking.device.id}?` : `Undrain ${asking.device.id}?`}
          confirmLabel={asking.action === "drain" ? "Drain" : "Undrain"}
          confirmTestId={asking.action === "drain" ? "confirm-drain" : "confirm-undrain"}
          danger={asking.action === "drain"}
          onCancel={() => setAsking(null)}
          onConfirm={() => void confirm(asking)}
        >
          {asking.action === "drain" ? (
            <p>
              The {asking.device.role} takes no new sessions; its {asking.device.activeSessions} running session(s) move
              elsewhere. It stays drained across restarts until undrained.
            </p>
          ) : (
            <p>The {asking.device.role} takes sessions again.</p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

type Ask = ((device: DashboardDevice, action: DrainAction) => void) | null;

function deviceColumns(now: number, ask: Ask): Column<DashboardDevice>[] {
  const columns: Column<DashboardDevice>[] = [
    { id: "id", header: "Device", width: "minmax(140px, 1.4fr)", cell: (d) => <b>{d.id}</b>, sortValue: (d) => d.id },
    { id: "role", header: "Role", width: "70px", cell: (d) => d.role, sortValue: (d) => d.role },
    { id: "model", header: "Model", width: "minmax(110px, 1fr)", cell: (d) => d.model, sortValue: (d) => d.model },
    {
      id: "class",
      header: "Class",
      width: "minmax(80px, 0.7fr)",
      cell: (d) => d.deviceClass,
      sortValue: (d) => d.deviceClass,
    },
    {
      id: "state",
      header: "State",
      width: "86px",
      cell: (d) => <StateBadge state={d.state} testId={`state-${d.id}`} />,
      sortValue: (d) => d.state,
    },
    {
      id: "power",
      header: "Power",
      width: "112px",
      cell: powerCell,
      sortValue: (d) => d.power.level ?? (d.power.source === "plugged" ? 2 : null),
    },
    {
      id: "sessions",
      header: "Sessions",
      width: "78px",
      align: "right",
      cell: (d) => `${d.activeSessions}/${d.maxSessions}`,
      sortValue: (d) => d.activeSessions,
    },
    {
      id: "speed",
      header: "Measured speed",
      title: "Self-measured at start: drafters ms per drafted token, verifiers ms per verify pass at window γ",
      width: "minmax(160px, 1.6fr)",
      cell: (d) => (
        <span className="mono small" title={profileText(d)}>
          {profileText(d)}
        </span>
      ),
      sortValue: profileSortValue,
    },
    {
      id: "tps",
      header: "Tok/s",
      width: "64px",
      align: "right",
      cell: (d) => fixed(d.tokensPerSecond),
      sortValue: (d) => d.tokensPerSecond,
    },
    {
      id: "acc",
      header: "Accept",
      width: "62px",
      align: "right",
      cell: (d) => percent(d.acceptance),
      sortValue: (d) => d.acceptance,
    },
    {
      id: "rss",
      header: "Memory",
      width: "72px",
      align: "right",
      cell: (d) => bytes(d.memoryRssBytes),
      sortValue: (d) => d.memoryRssBytes,
    },
    {
      id: "rtt",
      header: "Broker RTT",
      width: "92px",
      align: "right",
      cell: (d) => ms(d.brokerRttMs),
      sortValue: (d) => d.brokerRttMs,
    },
    {
      id: "seen",
      header: "Heartbeat",
      title: "Time since the device's last heartbeat",
      width: "88px",
      align: "right",
      cell: (d) => <span className={now - d.lastSeenAt > 5000 ? "late" : undefined}>{age(now - d.lastSeenAt)}</span>,
      sortValue: (d) => -d.lastSeenAt,
    },
  ];
  if (ask)
    columns.push({ id: "actions", header: "", width: "78px", align: "center", cell: (d) => drainButton(d, ask) });
  return columns;
}

function powerCell(d: DashboardDevice) {
  const level = d.power.level == null ? "" : ` ${Math.round(d.power.level * 100)}%`;
  const low = d.power.source === "battery" && d.power.level != null && d.power.level < 0.2;
  return <span className={low ? "late" : undefined}>{`${d.power.source}${level}`}</span>;
}

function drainButton(d: DashboardDevice, ask: NonNullable<Ask>) {
  const draining = d.draining || d.state === "draining";
  return draining ? (
    <button type="button" className="small" data-testid={`undrain-${d.id}`} onClick={() => ask(d, "undrain")}>
      Undrain
    </button>
  ) : (
    <button
      type="button"
      className="small danger-outline"
      data-testid={`drain-${d.id}`}
      onClick={() => ask(d, "drain")}
    >
      Drain
    </button>
  );
}
