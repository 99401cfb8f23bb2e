export function isProcessAlive(pid: number): boolean;
