/* How numbers, times and names read on every page. A missing value is always "–". */

const MISSING = "–";
const missing = (x) => x === null || x === undefined || (typeof x === "number" && !Number.isFinite(x));

/** 0.4567 -> "46%" (digits: decimals). */
export const pct = (x, digits = 0) => (missing(x) ? MISSING : `${(100 * x).toFixed(digits)}%`);

/** 1.23456 -> "1.235" (digits decimals). */
export const num = (x, digits = 3) => (missing(x) ? MISSING : Number(x).toFixed(digits));

/** Whole numbers with thousands separators: 10000 -> "10,000". */
export const int = (x) => (missing(x) ? MISSING : Math.round(x).toLocaleString("en-US"));

/** "collect_wood" -> "collect wood". */
export const pretty = (name) => String(name ?? "").replace(/_/g, " ");

/** "1 label", "3 labels". */
export const plural = (n, word, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Seconds as a person says them: 0.8 -> "0.8 s", 75 -> "1 min 15 s", 5400 -> "1 h 30 min". */
export function duration(seconds) {
  if (missing(seconds)) return MISSING;
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${Math.round(s % 60) ? ` ${Math.round(s % 60)} s` : ""}`;
  const hours = Math.floor(m / 60);
  return `${hours} h${m % 60 ? ` ${m % 60} min` : ""}`;
}

const asDate = (value) => (value instanceof Date ? value : new Date(value));

/** An ISO time (the API's) as a short local date and time: "2025-03-14 09:26". */
export function dateTime(value) {
  if (missing(value) || value === "") return MISSING;
  const d = asDate(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** An ISO time as the hour it falls in, locally: "2025-03-14 09h". */
export function hour(value) {
  const s = dateTime(value);
  return s === MISSING ? s : `${s.slice(0, 13)}h`;
}
