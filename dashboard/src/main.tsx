import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { setBuildTimeApiUrl } from './api/config';
import './styles.css';

setBuildTimeApiUrl(import.meta.env.VITE_API_URL);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
