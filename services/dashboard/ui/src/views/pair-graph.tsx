import { fixed, percent } from "../components/format.js";
import { naturalCompare } from "../components/natural-order.js";
import type { DashboardPair } from "../feed/contracts.js";

export const pairKey = (p: Pick<DashboardPair, "verifierId" | "drafterId">) => `${p.verifierId}|${p.drafterId}`;

/** Edges drawn at most: past that the picture is a blur; the table lists them all. */
const MAX_EDGES = 150;
const WIDTH = 900;
const ROW = 24;
const NODE_X = { drafter: 230, verifier: WIDTH - 230 };

/** Red (0) through amber to green (1) for an acceptance rate; grey when unknown. */
export function acceptanceColor(acceptance: number | null): string {
  return acceptance == null ? "var(--muted)" : `hsl(${Math.round(acceptance * 120)}, 65%, 48%)`;
}

interface Props {
  pairs: DashboardPair[];
  selected: string | null;
  onSelect: (pair: DashboardPair) => void;
}

/** Drafters on the left, verifiers on the right, one edge per pair: width by tokens/s, colour by acceptance. */
export function PairGraph({ pairs, selected, onSelect }: Props) {
  const drawn =
    pairs.length > MAX_EDGES
      ? [...pairs].sort((a, b) => b.tokensPerSecond - a.tokensPerSecond).slice(0, MAX_EDGES)
      : pairs;
  const drafters = [...new Set(drawn.map((p) => p.drafterId))].sort(naturalCompare);
  const verifiers = [...new Set(drawn.map((p) => p.verifierId))].sort(naturalCompare);
  const height = Math.max(120, Math.max(drafters.length, verifiers.length) * ROW + 40);
  const y = (index: number, count: number) => 20 + ((index + 0.5) * (height - 40)) / count;
  const drafterY = new Map(drafters.map((id, i) => [id, y(i, drafters.length)]));
  const verifierY = new Map(verifiers.map((id, i) => [id, y(i, verifiers.length)]));
  const maxRate = Math.max(1, ...drawn.map((p) => p.tokensPerSecond));

  if (drawn.length === 0) return <div className="empty-graph muted">No pair has run a round in the last minute.</div>;
  return (
    <div className="graph-wrap">
      {pairs.length > drawn.length && (
        <div className="muted small">
          Showing the {drawn.length} fastest of {pairs.length} pairs.
        </div>
      )}
      <div className="graph-scroll">
        <svg
          className="pair-graph"
          viewBox={`0 0 ${WIDTH} ${height}`}
          role="img"
          aria-label="Drafter to verifier pairs"
        >
          <text x={NODE_X.drafter} y={12} textAnchor="end" className="graph-heading">
            drafters
          </text>
          <text x={NODE_X.verifier} y={12} className="graph-heading">
            verifiers
          </text>
          {drawn.map((pair) => {
            const y1 = drafterY.get(pair.drafterId) ?? 0;
            const y2 = verifierY.get(pair.verifierId) ?? 0;
            const mid = (NODE_X.drafter + NODE_X.verifier) / 2;
            const key = pairKey(pair);
            return (
              <path
                key={key}
                data-testid={`pair-edge-${pair.drafterId}-${pair.verifierId}`}
                className={`edge${selected === key ? " selected" : ""}`}
                d={`M ${NODE_X.drafter} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${NODE_X.verifier} ${y2}`}
                stroke={acceptanceColor(pair.acceptance)}
                strokeWidth={1.5 + (8 * pair.tokensPerSecond) / maxRate}
                onClick={() => onSelect(pair)}
              >
                <title>
                  {`${pair.drafterId} → ${pair.verifierId}: ${fixed(pair.tokensPerSecond)} tok/s, acceptance ${percent(pair.acceptance)}, ${pair.sessions} session(s)`}
                </title>
              </path>
            );
          })}
          {drafters.map((id) => (
            <g key={`d-${id}`} transform={`translate(${NODE_X.drafter}, ${drafterY.get(id)})`}>
              <circle r={5} className="node drafter" />
              <text x={-10} dy="0.35em" textAnchor="end" className="node-label">
                {id}
              </text>
            </g>
          ))}
          {verifiers.map((id) => (
            <g key={`v-${id}`} transform={`translate(${NODE_X.verifier}, ${verifierY.get(id)})`}>
              <circle r={6} className="node verifier" />
              <text x={10} dy="0.35em" className="node-label">
                {id}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <div className="legend small muted">
        Edge width: committed tokens/s. Colour: acceptance{" "}
        <span className="swatch" style={{ background: acceptanceColor(0) }} /> 0%
        <span className="swatch" style={{ background: acceptanceColor(0.5) }} /> 50%
        <span className="swatch" style={{ background: acceptanceColor(1) }} /> 100%. Click an edge or a row for its
        history.
      </div>
    </div>
  );
}
