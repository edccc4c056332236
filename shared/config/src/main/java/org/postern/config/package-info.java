/**
 * Configuration: every setting is declared once in {@link org.postern.config.Settings}, with its
 * service prefix, default, bounds and one line of documentation, as Postfix declares its
 * parameters. {@link org.postern.config.ConfigLoader} reads a {@code key = value} file (Postfix
 * {@code main.cf} syntax, including continuation lines) and {@code --set key=value} overrides, and
 * either returns one validated {@link org.postern.config.PosternConfig} or a
 * {@link org.postern.config.ConfigException} that names the file, line, key and problem of every
 * bad value. Nothing half-valid ever reaches a service.
 */
package org.postern.config;
