export function isProcessAlive(pid: number): boolean;
export function signalQuietly(pid: number, signal: NodeJS.Signals): void;
