// The console's shell: navigation, the key box and the view for the current hash route.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { useRoute, type Route } from './router';
import { KeyBox } from './views/KeyBox';
import { Streams } from './views/Streams';
import { Queries } from './views/Queries';
import { QueryView } from './views/QueryView';
import { SqlEditor } from './views/SqlEditor';

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'streams':
      return <Streams />;
    case 'queries':
      return <Queries />;
    case 'query':
      return <QueryView id={route.id} key={route.id} />;
    case 'sql':
      return <SqlEditor />;
  }
}

function App() {
  const route = useRoute();
  const tab = (view: Route['view'], href: string, label: string) => (
    <a href={href} class={route.view === view || (view === 'queries' && route.view === 'query') ? 'active' : undefined}>{label}</a>
  );
  return (
    <>
      <nav class="top">
        <span class="brand">streamgate</span>
        {tab('streams', '#/streams', 'Streams')}
        {tab('queries', '#/queries', 'Queries')}
        {tab('sql', '#/sql', 'SQL')}
        <span class="spacer" />
        <a href="/docs" class="muted">API docs</a>
        <KeyBox />
      </nav>
      <main>
        <View route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
