/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_API_URL?: string;
}

interface Window {
  /** Set by public/config.js at run time. */
  USERFORGE_CONFIG?: { apiUrl?: string };
}
