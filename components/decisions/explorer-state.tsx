"use client";

import { useQueryStates } from "nuqs";
import { createContext, useCallback, useContext, useTransition, type ReactNode, type TransitionStartFunction } from "react";
import { decisionsSearchParams, type DecisionsSearchParams } from "@/lib/search-params/decisions";

interface ExplorerTransition {
  isPending: boolean;
  startTransition: TransitionStartFunction;
}

const TransitionContext = createContext<ExplorerTransition | null>(null);

/**
 * One React transition shared by every control of the explorer, so while the server renders
 * the new results the whole results area can say "Updating…" and keep the old rows visible.
 */
export function ExplorerStateProvider({ children }: { children: ReactNode }) {
  const [isPending, startTransition] = useTransition();
  return <TransitionContext value={{ isPending, startTransition }}>{children}</TransitionContext>;
}

export type FilterPatch = Partial<{ [K in keyof DecisionsSearchParams]: DecisionsSearchParams[K] | null }>;

/**
 * The explorer's URL state (the ONLY copy of filters, sort, page and columns). Updates go to
 * the URL with a history entry (back/forward step through searches) and re-render the server
 * page (shallow: false), inside the shared transition.
 */
export function useExplorerState() {
  const ctx = useContext(TransitionContext);
  if (!ctx) throw new Error("useExplorerState must be used inside <ExplorerStateProvider>");
  const [params, setParams] = useQueryStates(decisionsSearchParams, {
    shallow: false,
    history: "push",
    scroll: false,
    startTransition: ctx.startTransition,
  });
  /** Changes filters and goes back to the first page: a cursor belongs to one result set. */
  const setFilters = useCallback((patch: FilterPatch) => setParams({ ...patch, cursor: null }), [setParams]);
  return { params, setParams, setFilters, isPending: ctx.isPending };
}
