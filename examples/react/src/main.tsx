import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
// StrictMode (development builds mount, unmount and mount again): the chat hook of
// aicc-chat-machine/react starts only the second mount's session. test/e2e/strict-mode.test.ts
// proves it in Chromium: one CONNECT, never two polls.
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
