import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
// No <StrictMode> around the chat: its development-only unmount/remount makes @xstate/react 6.1
// stop and rehydrate the session actor in place. The promise actor that was running (e.g.
// authenticate) was aborted by the stop, and its late "aborted" rejection reaches the
// rehydrated machine as a real failure (the session ends with auth-failed). Production builds
// are not affected. See docs/guides/react.md.
createRoot(root).render(<App />);
