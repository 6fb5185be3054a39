import { useEffect, useState } from 'react';

export interface PagerProps {
  page: number;
  /** null while the count is unknown */
  pages: number | null;
  onLastPage: boolean;
  /** The highest page number `Go to page` accepts while the count is unknown. */
  maxPage: number;
  onGo: (page: number) => void;
}

/** Previous, next and go-to-page; shows "Page 3 of many" until the count is known. */
export function Pager({ page, pages, onLastPage, maxPage, onGo }: PagerProps) {
  const [target, setTarget] = useState(String(page));
  // Back/forward or an edited link changes the page: the input follows it.
  useEffect(() => setTarget(String(page)), [page]);

  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" onClick={() => onGo(page - 1)} disabled={page <= 1}>
        Previous page
      </button>
      <span className="page-of">{`Page ${page.toLocaleString('en-US')} of ${
        pages !== null ? pages.toLocaleString('en-US') : onLastPage ? page.toLocaleString('en-US') : 'many'
      }`}</span>
      <button type="button" onClick={() => onGo(page + 1)} disabled={onLastPage}>
        Next page
      </button>
      <form
        className="goto"
        onSubmit={(e) => {
          e.preventDefault();
          onGo(Number(target));
        }}
      >
        <label htmlFor="goto-page">Go to page</label>
        <input id="goto-page" type="number" min={1} max={pages ?? maxPage} step={1} value={target} onChange={(e) => setTarget(e.target.value)} />
        <button type="submit">Go</button>
      </form>
    </nav>
  );
}
