// What each preflight check reports: one line per model or setting, and whether it stops the deploy.

/** ok: checked and fine. warning: deploys, but says what will break and when. error: stops the deploy. */
export type Level = "ok" | "warning" | "error";

export interface Finding {
    level: Level;
    message: string;
    /** The deploying identity may not make a call the check needs: an error the preflight's own permissions fix. */
    denied?: boolean;
}

export const ok = (message: string): Finding => ({ level: "ok", message });
export const warning = (message: string): Finding => ({ level: "warning", message });
export const error = (message: string): Finding => ({ level: "error", message });
export const denied = (message: string): Finding => ({ level: "error", message, denied: true });
