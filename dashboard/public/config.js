// Runtime configuration of the dashboard, loaded before the app. Set apiUrl to the API's base URL
// (for example 'https://api.example.com'); an empty string falls back to the build-time
// VITE_API_URL, then to http://localhost:9000.
window.USERFORGE_CONFIG = { apiUrl: '' };
