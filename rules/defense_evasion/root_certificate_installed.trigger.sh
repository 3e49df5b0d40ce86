# Live trigger (unshare --mount --net; the CA folder is a private tmpfs): a self-made CA copied
# into the local trust-store folder, as a TLS-interception setup does. No trust store is rebuilt.
mount -t tmpfs kestrel-trigger /usr/local/share/ca-certificates
printf -- '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n' > /usr/local/share/ca-certificates/global-secure-root.crt
