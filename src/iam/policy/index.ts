/** The RAM policy language: documents compiled once (document.ts), evaluated per request (evaluate.ts). */
export { normalizeIp } from './conditions';
export { parsePolicy, type Policy } from './document';
export { PolicySet } from './evaluate';
export { SYSTEM_POLICIES, systemPolicy, type SystemPolicy } from './system';
