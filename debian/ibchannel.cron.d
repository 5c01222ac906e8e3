# ibchannel's sender on a machine without systemd: a 55-second window each
# minute, as the user ibchannel, its output appended to
# /var/log/ibchannel/sender.log (rotated by /etc/logrotate.d/ibchannel).
# Where systemd runs, its timer (ibchannel-sender.timer) runs the sender
# and this line does nothing: one of the two, never both. The program
# reads /etc/ibchannel/ibchannel.conf for the store and the key file.
* * * * * ibchannel [ -d /run/systemd/system ] || { umask 007; exec /usr/bin/ibchannel sender --for 55 >>/var/log/ibchannel/sender.log 2>&1; }
