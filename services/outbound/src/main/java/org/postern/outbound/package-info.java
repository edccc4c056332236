/**
 * Delivery to the next hop: routing (transport table, MX, A/AAAA), the client side of an SMTP
 * session with STARTTLS as the destination's TLS policy demands, and one result per recipient.
 * Everything runs on the verticle's event loop and is composed from futures.
 */
package org.postern.outbound;
