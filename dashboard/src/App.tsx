import { ConnectionBanner } from './components/connection-banner';
import { useHashRoute } from './hooks/use-hash-route';
import { LiveProvider } from './hooks/use-live';
import { JobsPage } from './pages/jobs.page';
import { OverviewPage } from './pages/overview.page';
import { UsersPage } from './pages/users.page';

const LINKS = [
  { path: '/', label: 'Overview' },
  { path: '/users', label: 'Users' },
  { path: '/jobs', label: 'Jobs' },
] as const;

function Page({ path, query }: { path: string; query: string }) {
  switch (path) {
    case '/users':
      return <UsersPage query={query} />;
    case '/jobs':
      return <JobsPage />;
    case '/':
      return <OverviewPage />;
    default:
      return (
        <section className="page">
          <h1>Not found</h1>
          <p>
            There is no page at <code>{path}</code>. <a href="#/">Go to the overview</a>.
          </p>
        </section>
      );
  }
}

export function App() {
  const { path, query } = useHashRoute();
  return (
    <LiveProvider>
      <a
        className="skip"
        href="#main"
        onClick={(e) => {
          // A plain #main link would replace the hash route.
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="top">
        <span className="brand">userforge</span>
        <nav aria-label="Main">
          <ul>
            {LINKS.map((link) => (
              <li key={link.path}>
                <a href={`#${link.path}`} aria-current={path === link.path ? 'page' : undefined}>
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        <Page path={path} query={query} />
      </main>
    </LiveProvider>
  );
}
