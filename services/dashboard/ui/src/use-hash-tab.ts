import { useEffect, useState } from "react";

export const TABS = [
  { id: "fleet", label: "Fleet" },
  { id: "pairs", label: "Pairs" },
  { id: "sessions", label: "Sessions & queue" },
  { id: "scheduler", label: "Scheduler" },
  { id: "charts", label: "Charts" },
] as const;
export type TabId = (typeof TABS)[number]["id"];

function fromHash(): TabId {
  const id = window.location.hash.replace(/^#\/?/, "");
  return TABS.find((tab) => tab.id === id)?.id ?? "fleet";
}

/** The open tab lives in the URL's hash, so a reload or a shared link opens the same view. */
export function useHashTab(): [TabId, (tab: TabId) => void] {
  const [tab, setTab] = useState<TabId>(fromHash);
  useEffect(() => {
    const onChange = () => setTab(fromHash());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return [tab, (next) => (window.location.hash = next)];
}
