import type { ReactNode } from "react";
import { Card, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, TH, THead } from "@/components/ui/table";

/**
 * A card holding one list of the erasure and legal-hold pages: a table with these column
 * headings (an empty heading is an actions column, named for screen readers only), or the
 * empty state when there are no rows.
 */
export function ListCard({
  title,
  description,
  emptyTitle,
  caption,
  columns,
  rowCount,
  children,
}: {
  title: string;
  description?: string;
  emptyTitle: string;
  caption: string;
  columns: readonly { label: string; hidden?: boolean }[];
  rowCount: number;
  children: ReactNode;
}) {
  return (
    <Card>
      <CardHeader title={`${title} (${rowCount})`} description={description} />
      {rowCount === 0 ? (
        <EmptyState title={emptyTitle} />
      ) : (
        <Table caption={caption}>
          <THead>
            <tr>
              {columns.map((c) => (
                <TH key={c.label}>{c.hidden ? <span className="sr-only">{c.label}</span> : c.label}</TH>
              ))}
            </tr>
          </THead>
          <TBody>{children}</TBody>
        </Table>
      )}
    </Card>
  );
}
