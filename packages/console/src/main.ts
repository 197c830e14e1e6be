/** The console's shell: a tab bar (keyboard: arrows, Home/End), the hash route, the light/dark switch. */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ModelsPage } from './models-page.js';
import { LivePage } from './live-page.js';
import { ControlPage } from './control-page.js';
import { TryPage } from './try-page.js';
import { TracesPage } from './traces-page.js';
import { api, type ServerMetadata } from './api.js';

const TABS = [
  { id: 'models', label: 'Models', page: ModelsPage },
  { id: 'live', label: 'Live', page: LivePage },
  { id: 'control', label: 'Control', page: ControlPage },
  { id: 'try', label: 'Try it', page: TryPage },
  { id: 'traces', label: 'Traces', page: TracesPage },
] as const;

type Theme = 'light' | 'dark';

function initialTheme(): Theme {
  const saved = localStorage.getItem('inferd-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function currentTab(): string {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return TABS.some((t) => t.id === id) ? id : 'models';
}

function App() {
  const [tab, setTab] = useState(currentTab());
  const [theme, setTheme] = useState<Theme>(initialTheme());
  const [server, setServer] = useState<ServerMetadata | undefined>();
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  useEffect(() => {
    const onHash = () => setTab(currentTab());
    addEventListener('hashchange', onHash);
    api.server().then(setServer, () => {});
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('inferd-theme', theme);
  }, [theme]);

  const go = (id: string) => {
    location.hash = `#${id}`;
    setTab(id);
  };
  const onKey = (e: KeyboardEvent, i: number) => {
    const n = TABS.length;
    const to = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i + n - 1) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    go(TABS[to]!.id);
    tabRefs.current[to]?.focus();
  };
  const active = TABS.find((t) => t.id === tab) ?? TABS[0];
  const Page = active.page;
  return html`
    <header class="bar">
      <span class="brand">inferd</span>
      <span class="muted">${server === undefined ? '' : `${server.name} ${server.version}`}</span>
      <nav role="tablist" aria-label="Console pages">
        ${TABS.map((t, i) => html`
          <button role="tab" id=${`tab-${t.id}`} aria-selected=${t.id === tab} aria-controls="page"
            tabindex=${t.id === tab ? 0 : -1} ref=${(el: HTMLButtonElement | null) => (tabRefs.current[i] = el)}
            onClick=${() => go(t.id)} onKeyDown=${(e: KeyboardEvent) => onKey(e, i)}>${t.label}</button>`)}
      </nav>
      <button class="theme" aria-label=${`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        onClick=${() => setTheme(theme === 'dark' ? 'light' : 'dark')}>${theme === 'dark' ? '☀' : '☾'}</button>
    </header>
    <main id="page" role="tabpanel" aria-labelledby=${`tab-${active.id}`} data-page=${active.id}>
      <${Page} />
    </main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
