# Install layout for docs, man pages, shell completions and the default config, and the CPack
# settings for the Debian package: `cpack -G DEB` in the build dir writes
# newswatch_<version>_<arch>.deb (see packaging/ for the maintainer scripts).

# `make install` and cpack's preinstall step would otherwise build every target (tests and
# benchmarks included) before installing the one binary; build `newswatch` (or run `make deb`).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# --- Install rules (the binary is installed by daemon/, the unit by systemd/) ---------------
# The config path is absolute: the unit and every command read /etc/newswatch/newswatch.toml
# whatever the prefix.
# The file may hold webhook secrets and SMTP passwords: 0640, never world-readable. The package's
# postinst gives it to group newswatch (the service's user, packaging/newswatch.sysusers).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/newswatch.toml DESTINATION /etc/newswatch
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
# The system user the unit runs as; systemd-sysusers (or the package's postinst) creates it.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/newswatch.sysusers DESTINATION lib/sysusers.d
  RENAME newswatch.conf)
install(FILES ${PROJECT_SOURCE_DIR}/docs/newswatch.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/newswatch.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
# Debian installs man pages gzipped (-n: no name or time stamp, so the package is reproducible).
install(CODE "
  set(mandir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_MANDIR}\")
  execute_process(COMMAND gzip -9nf \"\${mandir}/man1/newswatch.1\" \"\${mandir}/man5/newswatch.toml.5\"
    COMMAND_ERROR_IS_FATAL ANY)
")
install(FILES ${PROJECT_SOURCE_DIR}/completion/newswatch.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME newswatch)
install(FILES ${PROJECT_SOURCE_DIR}/completion/_newswatch
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/config.md
  ${PROJECT_SOURCE_DIR}/docs/log-events.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- CPack: Debian package ------------------------------------------------------------------
set(CPACK_PACKAGE_NAME newswatch)
set(CPACK_PACKAGE_VENDOR "newswatch")
set(CPACK_PACKAGE_CONTACT "newswatch maintainers <newswatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "news-monitoring daemon: feeds, articles, topic alerts")
set(CPACK_PACKAGE_DESCRIPTION
  "newswatch polls RSS/Atom/JSON feeds, sitemaps and section pages, extracts the articles,\n\
stores them deduplicated in RocksDB and alerts by webhook, e-mail or file when a story\n\
matches a watched topic. The package ships the daemon as a systemd service and the\n\
`newswatch` command line for searching and inspecting the store.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Stage with DESTDIR so that install rules see CMAKE_INSTALL_PREFIX=/usr (the unit's ExecStart
# is written from it) and the absolute /etc destination lands inside the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
# Only the runtime: no headers or static libraries of dependencies.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # newswatch_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from dpkg-shlibdeps (package dpkg-dev)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)

# `make deb`: build the binary, then the package (build/newswatch_<version>_<arch>.deb).
add_custom_target(deb COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR} DEPENDS newswatch VERBATIM)
