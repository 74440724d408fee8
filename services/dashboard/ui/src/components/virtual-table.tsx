import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState, type ReactNode } from "react";

export interface Column<T> {
  id: string;
  header: string;
  /** A CSS grid track: "90px", "minmax(140px, 2fr)". */
  width: string;
  cell: (row: T) => ReactNode;
  /** Sortable when given. */
  sortValue?: (row: T) => number | string | null;
  align?: "left" | "right" | "center";
  title?: string;
}

interface Props<T> {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  rowTestId?: (row: T) => string;
  onRowClick?: (row: T) => void;
  selectedKey?: string | null;
  /** The scroll area's height; rows beyond it are not in the page (virtualised). */
  height: string;
  empty: string;
  initialSort?: { column: string; descending: boolean };
  label: string;
}

const ROW_HEIGHT = 30;

/**
 * A sortable table whose rows are virtualised (@tanstack/react-virtual): only the rows in view
 * are rendered, so 2,000 devices scroll as smoothly as 20. A CSS grid, not a <table>, so the
 * rows can be absolutely positioned.
 */
export function VirtualTable<T>(props: Props<T>) {
  const { rows, columns, rowKey, height } = props;
  const [sort, setSort] = useState(props.initialSort ?? null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const template = columns.map((c) => c.width).join(" ");

  const sorted = useMemo(() => {
    if (!sort) return rows;
    const column = columns.find((c) => c.id === sort.column);
    if (!column?.sortValue) return rows;
    const value = column.sortValue;
    const direction = sort.descending ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      // Rows without a value go last in either direction.
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return direction * compare(x, y);
    });
  }, [rows, columns, sort]);

  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => rowKey(sorted[index]),
  });

  const toggle = (column: Column<T>) => {
    if (!column.sortValue) return;
    setSort((old) =>
      old?.column === column.id
        ? { column: column.id, descending: !old.descending }
        : { column: column.id, descending: false },
    );
  };

  return (
    <div className="vtable" role="table" aria-label={props.label} style={{ height }} ref={scrollRef}>
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((column) => (
          <div
            key={column.id}
            role="columnheader"
            className={`vtable-cell align-${column.align ?? "left"}${column.sortValue ? " sortable" : ""}`}
            title={column.title}
            aria-sort={sort?.column === column.id ? (sort.descending ? "descending" : "ascending") : undefined}
            onClick={() => toggle(column)}
          >
            {column.header}
            {sort?.column === column.id ? (sort.descending ? " ▾" : " ▴") : ""}
          </div>
        ))}
      </div>
      {sorted.length === 0 ? (
        <div className="vtable-empty">{props.empty}</div>
      ) : (
        <div className="vtable-body" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = sorted[item.index];
            const key = rowKey(row);
            return (
              <div
                key={item.key}
                role="row"
                className={`vtable-row${props.onRowClick ? " clickable" : ""}${props.selectedKey === key ? " selected" : ""}`}
                data-testid={props.rowTestId?.(row)}
                style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                onClick={props.onRowClick ? () => props.onRowClick?.(row) : undefined}
              >
                {columns.map((column) => (
                  <div key={column.id} role="cell" className={`vtable-cell align-${column.align ?? "left"}`}>
                    {column.cell(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

/** Numbers numerically, text by locale with numbers inside it in order (drafter-2 before drafter-10). */
function compare(a: number | string, b: number | string): number {
  if (a === b) return 0;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}
