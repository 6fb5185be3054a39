export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __userforgeStack?: { stop(): Promise<void> } }).__userforgeStack;
  await stack?.stop();
}
