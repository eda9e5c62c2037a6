/** `recall show subscriptions`: the live subscriptions, who watches what, and what they were last told. */
import type { CommandTable } from "../../core/commands.js";
import type { Subscriptions } from "./subscriptions.js";

export function registerSubscriptionCommands(table: CommandTable, subscriptions: Subscriptions, now: () => number): void {
  table.register("recall show subscriptions", "Show the live SUBSCRIBE subscriptions (dialog, presence, message-summary)", () => {
    const rows = subscriptions.list().map((c) =>
      `${c.endpoint.padEnd(12)} ${c.event.padEnd(16)} ${c.resource.padEnd(28)} ${c.state.padEnd(14)} ${String(Math.max(0, Math.round((c.expiresAt - now()) / 1e6))).padStart(6)}\n`);
    return `${"Endpoint".padEnd(12)} ${"Event".padEnd(16)} ${"Resource".padEnd(28)} ${"State".padEnd(14)} Expires\n${rows.join("")}${rows.length} subscriptions, ${subscriptions.notifies} NOTIFYs sent\n`;
  });
}
