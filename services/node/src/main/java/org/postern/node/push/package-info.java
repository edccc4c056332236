/**
 * Signed configuration pushes: operator keys (Ed25519), the signature over a bundle's canonical
 * encoding, the node side that verifies, validates and applies a push, and the admin API routes
 * that publish one and collect every node's answer.
 *
 * <p>SECURITY. A push changes who may relay, so nothing about it is trusted because it arrived on
 * the event bus, which every holder of a node certificate can write to: each node checks the
 * signature against its own {@code cluster.operator_keys} before reading anything else, then the
 * version, then every file and setting, and only then applies. The private key never leaves the
 * operator's machine; the admin API only relays what the operator signed.
 */
package org.postern.node.push;
