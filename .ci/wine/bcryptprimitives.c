/*
 * bcryptprimitives.dll for Wine 8.0, which has none: Go 1.22 and later
 * take their random bytes from its ProcessPrng and die at start without it
 * ("bcryptprimitives.dll not found"). This one exports ProcessPrng over
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. For the test
 * prefix only (.ci/wine/prefix); never shipped.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll \
 *       bcryptprimitives.c bcryptprimitives.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* TRUE with size random bytes at data; FALSE (Windows' own never fails)
 * if RtlGenRandom does. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
