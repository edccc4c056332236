package org.postern.node;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code postern pki}, {@code queue}, {@code config}):
 * called without one, it says so and lists them, on stderr with exit 2, as picocli does for a
 * group with no code of its own ({@code auth}, {@code policy}) and for any other usage error.
 */
abstract class CommandGroup implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand");
  }
}
