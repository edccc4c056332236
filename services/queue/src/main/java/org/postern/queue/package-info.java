/**
 * The queue: Postern's promise that mail acknowledged with 250 is not lost (RFC 5321 §6.1).
 *
 * <p><b>Job:</b> store each message durably before it is acknowledged, schedule its delivery per
 * recipient domain, retry temporary failures with back-off, and bounce permanent failures and
 * expired mail to the sender as a DSN (RFC 3464).
 * <b>Talks to:</b> receives {@link org.postern.bus.EnqueueRequest} from inbound; sends
 * {@link org.postern.bus.DeliveryRequest} to outbound; answers the operator's
 * {@link org.postern.bus.QueueAdminRequest} (list, show, hold, release, delete, requeue), consumed
 * locally, so that a node's admin API administers that node's spool. <b>Trusts:</b> nothing on the bus beyond the
 * contracts' validation; queue ids become file names only after {@link org.postern.bus.QueueIds#check}.
 * <b>Owns:</b> its spool directory, which no other service touches. Each message file belongs to
 * the node whose spool holds it; that explicit ownership is what cluster takeover will transfer.
 *
 * <p>All file I/O and every fsync runs on worker threads; the event loop only schedules.
 */
package org.postern.queue;
