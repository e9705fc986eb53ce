// TypeScript declarations for npskit (docs/js-api.md). Works for the script tag (window.npskit)
// and the ES module (npskit.mjs).

/** A property condition: a value (equals), a list (one of), or an operator object. */
export type NpskitCondition =
  | string | number | boolean
  | Array<string | number | boolean>
  | { equals: string | number | boolean }
  | { in: Array<string | number | boolean> }
  | { exists: true }
  | { gte: number }
  | { lte: number };

export interface NpskitTrigger {
  /** Tracked event name; "*" matches any event. */
  event: string;
  /** Every condition must hold on the event's properties. */
  where?: Record<string, NpskitCondition>;
  /** Milliseconds to wait after the event before showing the prompt. */
  delay?: number;
}

/** Every prompt string, overridable per survey. {product}, {n} and {email} are filled in. */
export type NpskitTextId =
  | 'question' | 'low_label' | 'high_label' | 'score_label' | 'close'
  | 'follow_detractor' | 'follow_passive' | 'follow_promoter' | 'comment_hint' | 'send' | 'skip'
  | 'thanks' | 'detractor_cta' | 'passive_cta' | 'promoter_cta' | 'contact_question' | 'contact_yes' | 'contact_email' | 'contact_done'
  | 'done' | 'dialog_label';

export interface NpskitOptions {
  /** POST target for schema v1 records (required). */
  endpoint?: string;
  /** Survey id, 1-64 of A-Z a-z 0-9 _ . - (required). */
  survey?: string;
  /** Fills {product} in the question. Default "us". */
  product?: string;
  /** BCP 47 tag; default navigator.language. en and fr built in; ar/he/fa/ur are right-to-left. */
  locale?: string;
  position?: 'bottom-right' | 'bottom-center' | 'center';
  theme?: 'auto' | 'light' | 'dark';
  /** Brand colour, #rgb or #rrggbb. Default #2563eb. */
  brand?: string;
  /** Promoters' call to action (texts.promoter_cta, "Leave a review"): https://…, http://… (lower case) or a /path (not //host nor /\host); anything else leaves the link out. A click is recorded (cta_clicked). */
  promoterUrl?: string;
  /** Passives' call to action, e.g. an offer (texts.passive_cta, "See the offer"); same rules as promoterUrl. */
  passiveUrl?: string;
  /** Detractors' call to action, e.g. the help centre (texts.detractor_cta, "Get help"); same rules as promoterUrl. */
  detractorUrl?: string;
  /** Send 'shown' and 'dismissed' records too. Default true. */
  displayEvents?: boolean | 'true' | 'false';
  /** Extra request headers (e.g. an auth token). Page-hide sends then use fetch keepalive, not sendBeacon. */
  headers?: Record<string, string>;
  /** Event names (array or space/comma separated) or trigger objects. Default: every tracked event. */
  triggers?: string | Array<string | NpskitTrigger>;
  /** URL path patterns ('*' = any run). Default: every page. */
  paths?: string | string[];
  /** Percent of users asked, sticky per user and survey. Default 100. */
  sample?: number;
  /** Days before asking again after an answer. Default 90. */
  waitAfterAnswerDays?: number;
  /** Days before asking again after a dismissal. Default 30. */
  waitAfterDismissDays?: number;
  /** Days after any survey was shown before another may be. Default 7. */
  cooldownDays?: number;
  /** Most times one user is shown the prompt; 0 = no cap. Default 0. */
  maxDisplays?: number;
  /** Ask only users seen (or signed up, from a signed_up trait) at least this many days ago. Default 0. */
  newUserDays?: number;
  /** First retry delay in ms (doubles up to 5 min, with jitter; 64 x for a 401/403/404, up to a day). Default 2000. */
  retryBaseMs?: number;
  texts?: Partial<Record<NpskitTextId, string>>;
}

export type NpskitTraits = Record<string, string | number | boolean> & { email?: string; signed_up?: string };

export interface Npskit {
  (command: 'init', options: NpskitOptions): void;
  (command: 'track', event: string, properties?: Record<string, string | number | boolean | null>): void;
  (command: 'identify', userId: string | null, traits?: NpskitTraits): void;
  (command: 'show', options?: { respectWaits?: boolean }): void;
  (command: 'reset'): void;
  (command: 'destroy'): void;
  /** Calls queued by the loader snippet before the script loaded. */
  q?: IArguments[];
  /** True once the real npskit has replaced the snippet's queue. */
  loaded?: boolean;
}

export declare const npskit: Npskit;
export declare function load(options?: NpskitOptions & {
  /** URL of npskit.js; default: the file beside the module (a bundler emits it as an asset). */
  src?: string;
  /** URL of npskit.wasm; default: the file beside the module. Given to the script as data-wasm. */
  wasm?: string;
}): void;
export default npskit;

declare global {
  interface Window {
    npskit: Npskit;
  }
}
