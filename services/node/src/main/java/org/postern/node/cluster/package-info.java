/**
 * Joining a cluster: the Hazelcast configuration built from {@code cluster.*} (TCP/IP member
 * list, no multicast, one private interface), the event bus over TLS with node certificates and
 * required client authentication, and a log of the members each node sees; the cluster-wide
 * queue views (each queue node answers admin requests on its own address, and the admin API asks
 * every member Hazelcast lists and merges the answers, reporting the members that did not answer);
 * the cluster-wide metrics page, built the same way from every member's metrics.
 *
 * <p>Talks to: Hazelcast on {@code cluster.interface:cluster.port} (plaintext: membership and the
 * event bus's subscription map) and the other nodes' event buses on {@code cluster.bus_host:
 * cluster.bus_port} (TLS). Must not trust: anything on the bus; each contract record validates
 * itself on decode.
 */
package org.postern.node.cluster;
