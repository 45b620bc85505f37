# Turn `nm -n --defined-only hv.elf` into the image's symbol table (NASM
# source), for backtraces with names (arch/x86/symbols.c reads it).
#
# Layout of the .ksyms section, all little-endian:
#   u64 count
#   u64 addr[count]        ascending code addresses
#   u32 name_offset[count] offsets into names[]
#   char names[]           NUL-terminated
# With no input (link pass 1) the table is empty.
$2 ~ /^[tTwW]$/ && $3 !~ /^\$/ {
	if (n > 0 && addr[n - 1] == $1)
		next
	addr[n] = $1
	name[n] = $3
	n++
}
END {
	print "section .ksyms progbits alloc noexec nowrite align=8"
	print "global ksyms_table"
	print "ksyms_table:"
	printf "\tdq %d\n", n
	for (i = 0; i < n; i++)
		printf "\tdq 0x%s\n", addr[i]
	off = 0
	for (i = 0; i < n; i++) {
		printf "\tdd %d\n", off
		off += length(name[i]) + 1
	}
	for (i = 0; i < n; i++)
		printf "\tdb \"%s\", 0\n", name[i]
}
