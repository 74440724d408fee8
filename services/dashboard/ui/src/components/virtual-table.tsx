import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { naturalKey } from "./natural-order.js";

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
  // Every row is its own grid: sized by the columns' minimums, never by a cell's content, so all
  // rows line up with the header (narrower windows scroll sideways).
  const minWidth = columns.reduce((sum, c) => sum + minimumPx(c.width), 0);

  // Columns are rebuilt every second (ages tick) but sort by values that do not tick: sort again
  // only when the rows or the chosen column change.
  const latestColumns = useRef(columns);
  latestColumns.current = columns;
  const sorted = useMemo(() => (sort ? sortRows(rows, latestColumns.current, sort) : rows), [rows, sort]);

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
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template, minWidth }}>
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
        <div className="vtable-body" style={{ height: virtualizer.getTotalSize(), minWidth }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = sorted[item.index];
            const key = rowKey(row);
            return (
              <div
                key={item.key}
                role="row"
                className={`vtable-row${props.onRowClick ? " clickable" : ""}${props.selectedKey === key ? " selected" : ""}`}
                data-testid={props.rowTestId?.(row)}
                style={{
                  gridTemplateColumns: template,
                  transform: `translateY(${item.start}px)`,
                  height: ROW_HEIGHT,
                  minWidth,
                }}
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

/**
 * Sorts by one column: each row's value computed once (text as a natural key, so drafter-2 comes
 * before drafter-10), rows without a value last in either direction.
 */
function sortRows<T>(rows: T[], columns: Column<T>[], sort: { column: string; descending: boolean }): T[] {
  const value = columns.find((c) => c.id === sort.column)?.sortValue;
  if (!value) return rows;
  const keyed = rows.map((row) => {
    const v = value(row);
    return { row, key: typeof v === "string" ? naturalKey(v) : v };
  });
  const direction = sort.descending ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.key === null || b.key === null) return a.key === b.key ? 0 : a.key === null ? 1 : -1;
    return a.key < b.key ? -direction : a.key > b.key ? direction : 0;
  });
  return keyed.map((k) => k.row);
}

/** The smallest a column gets: "90px" → 90, "minmax(140px, 1fr)" → 140. */
function minimumPx(width: string): number {
  const px = /(\d+(?:\.\d+)?)px/.exec(width);
  return px ? Number(px[1]) : 0;
}
