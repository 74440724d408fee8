import type { FleetFilter } from "./device-filter.js";
import { WORKER_STATES } from "./device-filter.js";

interface Props {
  filter: FleetFilter;
  onChange: (filter: FleetFilter) => void;
  models: string[];
  shown: number;
  total: number;
}

export function FleetFilters({ filter, onChange, models, shown, total }: Props) {
  return (
    <div className="toolbar">
      <input
        type="search"
        placeholder="Search id, model, class…"
        aria-label="Search devices"
        data-testid="fleet-search"
        value={filter.search}
        onChange={(e) => onChange({ ...filter, search: e.target.value })}
      />
      <select
        aria-label="Role"
        value={filter.role}
        onChange={(e) => onChange({ ...filter, role: e.target.value as FleetFilter["role"] })}
      >
        <option value="">all roles</option>
        <option value="drafter">drafters</option>
        <option value="verifier">verifiers</option>
      </select>
      <select
        aria-label="State"
        value={filter.state}
        onChange={(e) => onChange({ ...filter, state: e.target.value as FleetFilter["state"] })}
      >
        <option value="">all states</option>
        {WORKER_STATES.map((state) => (
          <option key={state} value={state}>
            {state}
          </option>
        ))}
      </select>
      <select aria-label="Model" value={filter.model} onChange={(e) => onChange({ ...filter, model: e.target.value })}>
        <option value="">all models</option>
        {models.map((model) => (
          <option key={model} value={model}>
            {model}
          </option>
        ))}
      </select>
      <span className="muted">{shown === total ? `${total} devices` : `${shown} of ${total} devices`}</span>
    </div>
  );
}
