/**
 * The policy service: answers, over the event bus, who may relay and what TLS each session and
 * destination needs.
 *
 * <p><b>Talks to:</b> nobody; it only answers {@link org.postern.bus.SessionCheck},
 * {@link org.postern.bus.ClientTlsCheck}, {@link org.postern.bus.RelayCheck} (inbound),
 * {@link org.postern.bus.DestinationTlsCheck}, {@link org.postern.bus.TargetTlsCheck} and
 * {@link org.postern.bus.ServerTlsCheck} (outbound), from a {@link org.postern.policy.PolicyModel}
 * compiled from sendmail's access map and Postfix's TLS policy table, reloaded when they change.
 * Inbound and outbound on the same node ask it the same questions in process
 * ({@link org.postern.bus.PolicyQuestions}, answered on the asker's event loop) instead of over the
 * bus.
 * <b>Trusts:</b> nothing on the bus beyond what the contract records validate; it keeps no state
 * between requests. <b>Fails:</b> closed: the callers treat a missing answer as a temporary
 * failure, and this service never answers "accept" by default. Postern is never an open relay:
 * unless a rule says otherwise, mail from outside the trusted networks is accepted only for the
 * relay domains.
 *
 * <p>Every answer names the rule that decided it, so refusals can be logged with their reason.
 */
package org.postern.policy;
