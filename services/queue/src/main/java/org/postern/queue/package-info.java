/**
 * The queue: Postern's promise that mail acknowledged with 250 is not lost (RFC 5321 §6.1).
 *
 * <p><b>Job:</b> store each message durably before it is acknowledged, schedule its delivery per
 * recipient domain, retry temporary failures with back-off, and bounce permanent failures and
 * expired mail to the sender as a DSN (RFC 3464).
 * <b>Talks to:</b> receives {@link org.postern.bus.EnqueueRequest} from the inbound of its own
 * node only (consumed locally, the body by reference), and from inbound on other nodes an
 * {@link org.postern.bus.EnqueueOffer}, the body in chunks ({@link org.postern.bus.BodyTransfer})
 * and then an {@link org.postern.bus.EnqueueCommit} ({@link org.postern.queue.ChunkedIntake});
 * sends {@link org.postern.bus.DeliveryRequest} to the outbound of its own node only; answers the operator's
 * {@link org.postern.bus.QueueAdminRequest} (list, show, hold, release, delete, requeue), consumed
 * locally, so that a node's admin API administers that node's spool. <b>Trusts:</b> nothing on the bus beyond the
 * contracts' validation; queue ids become file names only after {@link org.postern.bus.QueueIds#check};
 * a chunked body is taken only after its offer, must have the length offered, and is stored only
 * when its envelope follows (a broken or abandoned one leaves no message and no file).
 * <b>Owns:</b> its spool directory, which no other service touches.
 *
 * <p><b>Ownership.</b> A message in {@code active/} belongs to the node whose spool holds it, and
 * only that node delivers it. In a cluster with {@code queue.replicas = 1} a copy also sits in
 * another queue node's {@code replica/<owner node id>/}, which never delivers it while the owner is
 * a cluster member ({@link org.postern.queue.Replication}). Ownership moves only by a claim won in
 * the cluster map {@code postern.queue.claims}: a holder takes a replica over once its owner has
 * been gone for {@code queue.takeover_delay}, and an owner that comes back cedes what was claimed
 * by another node while it was away. Replicas come from other queue nodes only through
 * {@link org.postern.bus.ReplicaOffer} and {@link org.postern.bus.BodyTransfer}, validated like
 * any bus message; owner node ids become directory names only after
 * {@link org.postern.bus.ReplicaIds#checkNode}.
 *
 * <p>All file I/O and every fsync runs on worker threads; the event loop only schedules.
 */
package org.postern.queue;
