/**
 * The inbound SMTP listener: the only part of Postern that accepts sockets.
 *
 * <p><b>Job:</b> speak ESMTP to clients (RFC 5321, STARTTLS per RFC 3207, PIPELINING per RFC
 * 2920) and hand accepted messages to the queue. <b>Talks to:</b> the policy service (at connect,
 * after STARTTLS, at MAIL and at RCPT) and the queue (at the end of DATA), over the event bus
 * only: the queue of its own node when the node runs one (the body by reference), otherwise a
 * queue node of the cluster, the body in bounded chunks ({@link org.postern.bus.QueueHandoff}); DNS servers for the client's forward-confirmed name, through Vert.x's non-blocking client.
 * <b>Trusts:</b> nothing a client sends, nor a PTR record its forward lookup does not confirm, nor
 * a PROXY header or XCLIENT from outside inbound.proxy_networks / inbound.xclient_networks (the
 * only peers allowed to say who the client is); not even the policy or queue answers beyond their
 * contracts: a missing or malformed answer is a temporary failure (4xx), never an accept.
 * <b>Promises:</b> 250 after DATA only once the queue has confirmed the message is durable; input
 * sent after STARTTLS and before the handshake is discarded, never executed (CVE-2011-0411); a
 * client that half-closes its side still gets every reply it is owed before the connection closes.
 *
 * <p>The protocol lives in {@link org.postern.smtp.SmtpSession}; this package only moves bytes
 * between a socket and that state machine, and carries out its effects.
 */
package org.postern.inbound;
