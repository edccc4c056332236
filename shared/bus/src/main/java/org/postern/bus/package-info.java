/**
 * The event-bus contracts between Postern's services: one Java record per message, one codec per
 * record, and the address each is sent to as a constant beside it ({@code postern.<service>.<verb>.v<N>};
 * the version changes when the format does).
 *
 * <p>No service trusts the bus: every record validates its fields in its constructor, so a message
 * decoded from another node, or built locally, is checked the same way; a malformed one is refused
 * before a handler sees it. The event bus is best-effort, so handlers are idempotent (enqueue and
 * delivery are keyed on the queue id) and senders set a deadline on every request.
 */
package org.postern.bus;
