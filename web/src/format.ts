/** Small display helpers. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export function duration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** the colour class of a host state, alert severity or migration status */
export function tone(word: string): string {
  switch (word) {
    case "healthy":
    case "succeeded":
    case "ok":
    case "approved":
      return "good";
    case "suspect":
    case "warning":
    case "returning":
    case "queued":
    case "proposed":
      return "warn";
    case "degraded":
    case "evacuating":
    case "critical":
    case "failed":
    case "rejected":
      return "bad";
    case "quarantined":
    case "maintenance":
    case "running":
    case "executing":
      return "info";
    default:
      return "muted";
  }
}
